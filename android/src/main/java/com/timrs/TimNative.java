package com.timrs;

/**
 * The JNI surface of {@code libtim_ffi}: one call method and one sink, carrying JSON text both
 * ways.
 *
 * <p>Every rule (parameter checks, error codes, the login state machine) lives in the Rust core;
 * this class and the React Native module only pass strings (DESIGN.md principles 1 and 2).
 *
 * <p>Threads: {@link #create}, {@link #call} and {@link #destroy} may be called from any thread and
 * never block on the network. {@link Sink} methods run on the core's own threads.
 */
public final class TimNative {
    static {
        System.loadLibrary("tim_ffi");
    }

    private TimNative() {}

    /**
     * Receives one instance's events and call results. Events run on a core thread, one at a
     * time and in order; a result runs on a core thread, or on the thread of {@link #call} itself,
     * before {@code call} returns, when the core can answer at once (a status query, a wrong
     * parameter). Both must hand the text to the app's thread and return at once: the core waits
     * for them. An exception thrown here is logged and dropped.
     */
    public interface Sink {
        /** An event: {@code {"type": "onKickedOffline", "data": ...}}. */
        void onEvent(String eventJson);

        /**
         * The answer to {@link #call}{@code (handle, requestId, ...)}:
         * {@code {"code": 0, "desc": "ok", "data": ...}} or an error code; exactly once per
         * call that returned {@code null}.
         */
        void onResult(long requestId, String resultJson);
    }

    /**
     * Starts an instance (its own manager) whose events and results go to {@code sink}.
     *
     * @return a handle for {@link #call} and {@link #destroy}; never 0 unless {@code sink} is null
     *     (then calls on it answer code 6013)
     */
    public static native long create(Sink sink);

    /**
     * Calls {@code method} (a JavaScript API name such as {@code "login"}) with its parameters as
     * a JSON object. Returns at once.
     *
     * @return {@code null} when the call went to the core: its answer comes exactly once to
     *     {@code sink.onResult(requestId, json)}, possibly before this returns (so register the
     *     request before calling). Otherwise the answer itself, for calls that
     *     could not reach the core: an unknown or destroyed handle (code 6013), a null {@code
     *     method} or {@code paramsJson} (code 6017; pass {@code "{}"} for no parameters), an
     *     internal failure (code 6022).
     */
    public static native String call(long handle, long requestId, String method, String paramsJson);

    /**
     * Stops an instance: logs out without waiting for the server and releases the sink. Answers
     * of calls already made still arrive; later calls on the handle answer code 6013. Unknown
     * handles are ignored.
     */
    public static native void destroy(long handle);
}
