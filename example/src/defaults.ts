import { Platform } from 'react-native';

/**
 * Where a `tim-server` started on the development machine is reachable from the app:
 * the Android emulator sees the host's loopback as 10.0.2.2, the iOS simulator shares it.
 * On a phone, use the machine's LAN address (server listening on 0.0.0.0), or on Android
 * `adb reverse tcp:7311 tcp:7311` and ws://127.0.0.1:7311.
 */
export const DEFAULT_SERVER_URL = Platform.select({
  android: 'ws://10.0.2.2:7311',
  default: 'ws://127.0.0.1:7311',
});

/** The SDKAppID that scripts/demo.sh and the server docs use for development. */
export const DEFAULT_SDK_APP_ID = '1400000000';

/** A user to log in as; sign a UserSig for it with `tim-usersig gen` (see README.md). */
export const DEFAULT_USER_ID = 'alice';
