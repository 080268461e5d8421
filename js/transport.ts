/**
 * What the wrapper needs of a host: a `call` that answers JSON text, and a way to receive event
 * JSON text. React Native's module, Node's addon and the Jest mock each provide one.
 */
export interface NativeTransport {
  /** Answers `{"code","desc","data"?}` JSON for one call; never rejects for an API error. */
  call(method: string, paramsJson: string): Promise<string>;
  /**
   * Delivers every event as `{"type","data"}` JSON to `onEvent`. Called once per transport the
   * manager's `connect` hands it.
   */
  subscribe(onEvent: (eventJson: string) => void): void;
  /**
   * Called after `unInitSDK` succeeded: the host lets go of what it holds, the event
   * subscription first (the next call connects and subscribes again).
   */
  release(): void;
}
