// An app's test of a component that uses the package's React hooks, through the mock.
import { createElement } from 'react';
import { Text } from 'react-native';
import { act, create } from 'react-test-renderer';
import { LogLevelEnum, TencentImSDKPlugin } from 'react-native-tim-rs';
import { mockEmit } from 'react-native-tim-rs/jest';
import { useConnectionState, useLoginStatus, useLoginUser } from 'react-native-tim-rs/react';

function Header() {
  const status = useLoginStatus();
  const user = useLoginUser();
  const connection = useConnectionState();
  return createElement(Text, null, `${status} ${user} ${connection.state}`);
}

test('a component shows the login and a kick through the hooks on the mocked SDK', async () => {
  const manager = TencentImSDKPlugin.v2TIMManager;
  let renderer;
  await act(async () => {
    renderer = create(createElement(Header));
  });
  const text = () => renderer.root.findByType(Text).props.children;
  expect(text()).toBe('3  idle');
  await act(async () => {
    await manager.initSDK(1400000000, LogLevelEnum.V2TIM_LOG_INFO);
    await manager.login('alice', 'ticket');
  });
  expect(text()).toBe('1 alice connected');
  await act(async () => mockEmit('onKickedOffline'));
  expect(text()).toBe('3  kicked');
  await act(async () => renderer.unmount());
});
