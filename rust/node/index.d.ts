// Types of the addon (rust/node/src/lib.rs); written by hand, as no napi CLI generates them.

/** One SDK instance (one "device") behind the JSON bridge. */
export declare class NativeBridge {
  /**
   * Events arrive as `{"type","data"}` JSON text on the JavaScript thread, in order. They never
   * keep the process alive. Throws (code "InvalidArg") if `onEvent` is not a function.
   */
  constructor(onEvent: (eventJson: string) => void);
  /**
   * Resolves `{"code","desc","data"?}` JSON text; never rejects. A non-string argument resolves
   * 6017; a call after `destroy()` resolves 6013. The answer travels behind every event the core
   * emitted before it: `onEvent` has had those when the promise settles.
   */
  call(method: unknown, paramsJson: unknown): Promise<string>;
  /** Drops the instance (logs out without waiting, stops events). Idempotent. */
  destroy(): void;
}
