import Foundation

/// The Swift side of the iOS module: one SDK instance (a `TimBridge` from the UniFFI bindings in
/// `Generated/`), reachable from the Objective-C++ module. It only marshals strings: every rule,
/// parameter check and error code lives in the Rust core.
///
/// `call` runs on the JS thread and `close` on the module's invalidation, possibly at the same
/// time: the bridge is read and cleared under a lock, so a call either gets the live bridge (which
/// then answers it: 7009 or 6013 when `close` came first) or answers 6013.
@objc(TimSession)
public final class TimSession: NSObject, @unchecked Sendable {
  private let lock = NSLock()
  private var bridge: TimBridge?

  /// `onEvent` receives each SDK event as `{"type","data"}` JSON text, on a core thread, in order.
  /// Objective-C sees this initializer as `initWithOnEvent:`.
  @objc public init(onEvent: @escaping @Sendable (String) -> Void) {
    bridge = TimBridge(sink: EventForwarder(onEvent))
    super.init()
  }

  /// Answers `method` with `{"code","desc","data"?}` JSON text through `completion`, on a core
  /// thread, or on this one before returning when no event is ahead of the answer. Never blocks the caller (the JS thread). Order: the core calls `completion` after
  /// `onEvent` returned for every event before the answer and before it calls `onEvent` with
  /// any later one, and the module hands both to the JavaScript thread's one queue, so
  /// JavaScript sees answers and events in the core's order (a login's events before its
  /// result, its result before a later `onKickedOffline`).
  /// Objective-C sees it as `callWithMethod:paramsJson:completion:`.
  @objc public func call(
    method: String, paramsJson: String, completion: @escaping @Sendable (String) -> Void
  ) {
    guard let bridge = locked({ self.bridge }) else {
      completion(#"{"code":6013,"desc":"the TencentImSDK module was invalidated"}"#)
      return
    }
    bridge.callOrdered(method: method, paramsJson: paramsJson, completion: Completed(completion))
  }

  /// Ends the SDK instance (logs out without waiting for the server). Calls under way hold a
  /// reference to the bridge, so it is closed, not only released: they answer 7009 (a login in
  /// flight does not go on to log in, as on Android), and no event is forwarded once this
  /// returns, so none reaches an invalidated `RCTEventEmitter`.
  @objc public func close() {
    let closing: TimBridge? = locked {
      let open = bridge
      bridge = nil
      return open
    }
    closing?.invalidate()
  }

  // NSLocking.withLock needs iOS 16; the module supports 15.1.
  private func locked<T>(_ body: () -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body()
  }
}

/// Hands one answer to the module; the core calls it on its own thread, in order with the events.
private final class Completed: Completion, Sendable {
  private let completion: @Sendable (String) -> Void

  init(_ completion: @escaping @Sendable (String) -> Void) {
    self.completion = completion
  }

  func done(resultJson: String) {
    completion(resultJson)
  }
}

/// Hands events to the module; the core calls it on its own thread and never waits on the host.
private final class EventForwarder: EventSink, Sendable {
  private let forward: @Sendable (String) -> Void

  init(_ forward: @escaping @Sendable (String) -> Void) {
    self.forward = forward
  }

  func onEvent(eventJson: String) {
    forward(eventJson)
  }
}
