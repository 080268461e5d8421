/**
 * What the wrapper needs of a host: a `call` that answers JSON text, and a way to receive event
 * JSON text. React Native's module, Node's addon and the Jest mock each provide one.
 */
export interface NativeTransport {
  /** Answers `{"code","desc","data"?}` JSON for one call; never rejects for an API error. */
  call(method: string, paramsJson: string): Promise<string>;
  /** Delivers every event as `{"type","data"}` JSON to `onEvent`. Called once. */
  subscribe(onEvent: (eventJson: string) => void): void;
  /** Called after `unInitSDK` succeeded, so a host can let go of what it holds. */
  release?(): void;
}
