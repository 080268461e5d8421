/**
 * The TurboModule spec of the native module (new architecture codegen reads this file; the old
 * architecture's bridge module exposes the same methods). The module is deliberately tiny: one
 * `call` that takes and answers JSON text, and the event emitter's two methods. Adding an API
 * method never changes it.
 */
import type { TurboModule } from 'react-native';
import { TurboModuleRegistry } from 'react-native';

export interface Spec extends TurboModule {
  /** Answers `{"code","desc","data"?}` JSON for one API call. */
  call(method: string, paramsJson: string): Promise<string>;
  /** For `NativeEventEmitter`: events arrive as `TimEvent` with `{"type","data"}` JSON. */
  addListener(eventName: string): void;
  /** For `NativeEventEmitter`. */
  removeListeners(count: number): void;
}

/** `null` when the app was built without the module (Expo Go, an unlinked app, a test runner). */
export default TurboModuleRegistry.get<Spec>('TencentImSDK');
