import { useState } from 'react';
import { Button, Platform, StatusBar, StyleSheet, Text, View } from 'react-native';
import { EventLog } from './src/EventLog';
import { Field } from './src/Field';
import { DEFAULT_SDK_APP_ID, DEFAULT_SERVER_URL, DEFAULT_USER_ID } from './src/defaults';
import { describeConnection, LOGIN_STATUS_NAMES, type SessionForm, useTimSession } from './src/useTimSession';

/**
 * The example's one screen: what an app does with react-native-tim-rs (initSDK with a server URL,
 * login, logout, getLoginStatus), the login as state from its React hooks (status, user,
 * connection), and everything the SDK answers or pushes, in order.
 */
export default function App() {
  const [form, setForm] = useState<SessionForm>({
    serverUrl: DEFAULT_SERVER_URL,
    sdkAppID: DEFAULT_SDK_APP_ID,
    userID: DEFAULT_USER_ID,
    userSig: '',
  });
  const session = useTimSession();
  const edit = (key: keyof SessionForm) => (text: string) => setForm((f) => ({ ...f, [key]: text }));

  return (
    <View style={styles.screen}>
      <StatusBar barStyle="dark-content" />
      <Field label="Server URL" value={form.serverUrl} onChangeText={edit('serverUrl')} keyboardType="url" />
      <Field label="SDKAppID" value={form.sdkAppID} onChangeText={edit('sdkAppID')} keyboardType="number-pad" />
      <Field label="UserID" value={form.userID} onChangeText={edit('userID')} />
      <Field label="UserSig" value={form.userSig} onChangeText={edit('userSig')} placeholder="tim-usersig gen …" />

      <View style={styles.buttons}>
        <Button title="Init" onPress={() => void session.init(form)} />
        <Button title="Login" onPress={() => void session.login(form)} />
        <Button title="Logout" onPress={() => void session.logout()} />
        <Button title="Get status" onPress={() => void session.getStatus()} />
      </View>

      <Text style={styles.status} accessibilityLiveRegion="polite">
        Status: {`${session.status} ${LOGIN_STATUS_NAMES[session.status]}`}
        {'   '}User: {session.user === '' ? '—' : session.user}
      </Text>
      <Text style={styles.connection}>Connection: {describeConnection(session.connection)}</Text>

      <View style={styles.logHeader}>
        <Text style={styles.logTitle}>Events and answers, newest first</Text>
        <Button title="Clear" onPress={session.clearLog} />
      </View>
      <EventLog entries={session.log} />
    </View>
  );
}

const styles = StyleSheet.create({
  // Android draws under the status bar (edge-to-edge); iOS leaves room for the notch. A safe-area
  // library would do this exactly; the example keeps to React Native's own components.
  screen: {
    flex: 1,
    backgroundColor: '#fff',
    paddingHorizontal: 12,
    paddingTop: Platform.OS === 'android' ? (StatusBar.currentHeight ?? 0) + 8 : 54,
    paddingBottom: 24,
  },
  buttons: { flexDirection: 'row', justifyContent: 'space-between', marginVertical: 8 },
  status: { fontSize: 15, fontWeight: '600', marginBottom: 2 },
  connection: { fontSize: 13, color: '#333', marginBottom: 8 },
  logHeader: { flexDirection: 'row', alignItems: 'center', justifyContent: 'space-between' },
  logTitle: { fontSize: 13, color: '#333' },
});
