/**
 * What the wrapper needs of a host: a `call` that answers JSON text, and a way to receive event
 * JSON text. React Native's module, Node's addon and the Jest mock each provide one.
 */
export interface NativeTransport {
  /** Answers `{"code","desc","data"?}` JSON for one call; never rejects for an API error. */
  call(method: string, paramsJson: string): Promise<string>;
  /**
   * Delivers every event as `{"type","data"}` JSON to `onEvent`. Called once per transport the
   * manager's `connect` hands it. The manager hands on the events of its newest transport only.
   */
  subscribe(onEvent: (eventJson: string) => void): void;
  /**
   * Called when the `unInitSDK` made on this transport has answered: the host lets go of what it
   * holds, the event subscription first. The manager stopped sending calls here when that
   * `unInitSDK` was made: calls made after it connected a new transport, which subscribed again.
   */
  release(): void;
}
