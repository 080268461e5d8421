import { FlatList, Platform, StyleSheet, Text, View } from 'react-native';
import type { LogEntry } from './useTimSession';

/** Wall-clock time with milliseconds: reconnect backoffs and timeouts are read off these. */
function timestamp(time: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(time.getHours())}:${pad(time.getMinutes())}:${pad(time.getSeconds())}.${pad(time.getMilliseconds(), 3)}`;
}

/** iOS has no font called "monospace". */
const MONO = Platform.select({ ios: 'Menlo', default: 'monospace' });

const COLORS: Record<LogEntry['kind'], string> = { event: '#1a4fa0', ok: '#1b7a33', error: '#b3261e' };

/**
 * The SDK's events and the calls' answers, newest first. A FlatList, because a session that
 * keeps reconnecting produces many lines.
 */
export function EventLog({ entries }: { entries: LogEntry[] }) {
  return (
    <FlatList
      style={styles.list}
      data={entries}
      keyExtractor={(entry) => String(entry.id)}
      ListEmptyComponent={<Text style={styles.empty}>No events yet: press Init.</Text>}
      renderItem={({ item }) => (
        <View style={styles.row}>
          <Text style={styles.time}>{timestamp(item.time)}</Text>
          <Text style={[styles.text, { color: COLORS[item.kind] }]} selectable>
            {item.text}
          </Text>
        </View>
      )}
    />
  );
}

const styles = StyleSheet.create({
  list: { flex: 1, borderTopWidth: StyleSheet.hairlineWidth, borderColor: '#999' },
  row: { flexDirection: 'row', paddingVertical: 3 },
  time: { width: 96, fontFamily: MONO, fontSize: 12, color: '#666' },
  text: { flex: 1, fontFamily: MONO, fontSize: 12 },
  empty: { padding: 8, color: '#666' },
});
