package com.timrs;

import com.facebook.react.bridge.Promise;
import com.facebook.react.bridge.ReactApplicationContext;
import com.facebook.react.bridge.ReactMethod;
import com.facebook.react.modules.core.DeviceEventManagerModule;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The React Native module {@code TencentImSDK} (js/NativeTencentImSDK.ts), one class for both
 * architectures: {@link TencentImSDKSpec} is the codegen'd TurboModule spec on the new one and a
 * bridge module on the old one.
 *
 * <p>It only passes strings between JavaScript and {@link TimNative} (docs/architecture.md,
 * principles 1-3): no parameter checks, no error codes, no state. Nothing here blocks: {@code
 * call} returns as soon as the core has the request, and the core resolves promises and emits
 * events through the sink methods below from whatever thread it answers on, as React Native
 * allows. Order: the core hands a call's result to {@link #onResult} only after {@link #onEvent}
 * returned for every event before it, and both go to the JavaScript thread's one queue, so
 * JavaScript sees a login's events before its result.
 */
public final class TencentImSDKModule extends TencentImSDKSpec implements TimNative.Sink {
    /** The event name js/reactNative.ts listens to; the payload is {@code {"type","data"}} JSON. */
    static final String EVENT = "TimEvent";

    /** One core instance per module, so per React instance (a reload gets a fresh one). */
    private final long handle;

    /** Promises the core has yet to answer, by request id. */
    private final ConcurrentHashMap<Long, Promise> pending = new ConcurrentHashMap<>();

    private final AtomicLong nextRequestId = new AtomicLong(1);

    public TencentImSDKModule(ReactApplicationContext context) {
        super(context);
        // The core has nothing to tell until a call, so handing out `this` before the
        // constructor returns is safe. Without the native library, or with a stale one that
        // lacks TimNative's methods, the handle is 0 and every call answers 6013 saying how to
        // fix it: the module never crashes the app.
        handle = TimNative.create(this);
    }

    /**
     * Answers with {@code {"code","desc","data"?}} JSON; never rejects (docs/architecture.md,
     * principle 4). The methods carry {@code @ReactMethod} here because the old architecture
     * looks for it on the module's own class.
     */
    @Override
    @ReactMethod
    public void call(String method, String paramsJson, Promise promise) {
        long requestId = nextRequestId.getAndIncrement();
        // Registered first: the core may answer, on this thread or its own, before
        // TimNative.call returns.
        pending.put(requestId, promise);
        String answerNow = TimNative.call(handle, requestId, method, paramsJson);
        if (answerNow != null) {
            resolve(requestId, answerNow);
        }
    }

    /** NativeEventEmitter calls it; events are few and always sent, so nothing to count. */
    @Override
    @ReactMethod
    public void addListener(String eventName) {}

    /** NativeEventEmitter calls it; see {@link #addListener}. */
    @Override
    @ReactMethod
    public void removeListeners(double count) {}

    /**
     * On a core thread, or on the caller's thread inside {@code TimNative.call} when the core has
     * the answer at once (a status query, a wrong type).
     */
    @Override
    public void onResult(long requestId, String resultJson) {
        resolve(requestId, resultJson);
    }

    /** On a core thread: hands the event to the JS thread's queue and returns. */
    @Override
    public void onEvent(String eventJson) {
        ReactApplicationContext context = getReactApplicationContext();
        // While the React instance is torn down or reloaded there is no JavaScript to tell.
        if (context.hasActiveReactInstance()) {
            context.getJSModule(DeviceEventManagerModule.RCTDeviceEventEmitter.class)
                    .emit(EVENT, eventJson);
        }
    }

    /**
     * The React instance is going away: stop the core instance. The core still answers every
     * call it accepted, through {@link #onResult} (a login under way answers 7009, as after
     * {@code unInitSDK}), so no promise stays pending; later calls answer 6013 at once.
     */
    @Override
    public void invalidate() {
        TimNative.destroy(handle);
        super.invalidate();
    }

    /**
     * Removing the promise claims it, so each is resolved once even if answers race; no lock is
     * held while React Native runs.
     */
    private void resolve(long requestId, String resultJson) {
        Promise promise = pending.remove(requestId);
        if (promise != null) {
            promise.resolve(resultJson);
        }
    }
}
