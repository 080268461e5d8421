package com.timrs;

/**
 * The JNI surface of {@code libtim_ffi}: one call method and one sink, carrying JSON text both
 * ways.
 *
 * <p>Every rule (parameter checks, error codes, the login state machine) lives in the Rust core;
 * this class and the React Native module only pass strings (docs/architecture.md, principles 1
 * and 2).
 *
 * <p>Threads: {@link #create}, {@link #call} and {@link #destroy} may be called from any thread and
 * never block on the network. {@link Sink} methods run on the core's own threads.
 *
 * <p>A missing library never crashes the app: loading it is attempted once, and when it fails
 * every {@link #call} answers code 6013 with a description naming the library and how to build
 * it, as the JavaScript layer answers when the module itself is missing. Nor does a library that
 * loads but lacks this class's native methods (a stale build, with other JNI names): the first
 * native call that finds one missing makes every call answer 6013 naming the mismatch.
 */
public final class TimNative {
    /** The library's name for {@link System#loadLibrary}: {@code libtim_ffi.so} on Android. */
    static final String LIBRARY = "tim_ffi";

    /** {@code null} once the library is loaded; otherwise the answer every call gets. */
    private static final String MISSING = load();

    /**
     * {@code null} until a native method turns out to be missing from the loaded library; then
     * the answer every call gets.
     */
    private static volatile String mismatch;

    private TimNative() {}

    private static String load() {
        try {
            System.loadLibrary(LIBRARY);
            return null;
        } catch (UnsatisfiedLinkError | SecurityException e) {
            String desc = "react-native-tim-rs: the native library lib" + LIBRARY + ".so is not in this app ("
                    + e + "). Build it with scripts/build-android.sh in the package (it needs the Android NDK"
                    + " and cargo-ndk), which puts it in android/src/main/jniLibs, then rebuild the app.";
            return "{\"code\":6013,\"desc\":" + jsonString(desc) + "}";
        }
    }

    /** Remembers that the loaded library lacks a native method, and returns the answer. */
    private static String mismatched(UnsatisfiedLinkError e) {
        String desc = "react-native-tim-rs: the native library lib" + LIBRARY + ".so in this app does not match"
                + " its Java code (" + e + "): it is a stale build. Build it again with scripts/build-android.sh"
                + " in the package, which puts it in android/src/main/jniLibs, then rebuild the app.";
        mismatch = "{\"code\":6013,\"desc\":" + jsonString(desc) + "}";
        return mismatch;
    }

    /** {@code null} while the library is usable; otherwise the answer every call gets. */
    private static String unavailable() {
        return MISSING != null ? MISSING : mismatch;
    }

    /** {@code text} as a JSON string literal. */
    private static String jsonString(String text) {
        StringBuilder json = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                json.append('\\').append(c);
            } else if (c < 0x20) {
                json.append(String.format("\\u%04x", (int) c));
            } else {
                json.append(c);
            }
        }
        return json.append('"').toString();
    }

    /**
     * Whether the library is loaded and, as far as calls have found, matches this class; when
     * not, every call answers 6013 explaining why.
     */
    public static boolean isLoaded() {
        return unavailable() == null;
    }

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
     *     or the library is missing or stale (then calls on it answer code 6013)
     */
    public static long create(Sink sink) {
        if (unavailable() != null) {
            return 0;
        }
        try {
            return nativeCreate(sink);
        } catch (UnsatisfiedLinkError e) {
            mismatched(e);
            return 0;
        }
    }

    /**
     * Calls {@code method} (a JavaScript API name such as {@code "login"}) with its parameters as
     * a JSON object. Returns at once.
     *
     * @return {@code null} when the call went to the core: its answer comes exactly once to
     *     {@code sink.onResult(requestId, json)}, possibly before this returns (so register the
     *     request before calling). Otherwise the answer itself, for calls that
     *     could not reach the core: the library is missing, or the handle is unknown or destroyed
     *     (code 6013), a null {@code method} or {@code paramsJson} (code 6017; pass {@code "{}"}
     *     for no parameters), an internal failure (code 6022).
     */
    public static String call(long handle, long requestId, String method, String paramsJson) {
        String answer = unavailable();
        if (answer != null) {
            return answer;
        }
        try {
            return nativeCall(handle, requestId, method, paramsJson);
        } catch (UnsatisfiedLinkError e) {
            return mismatched(e);
        }
    }

    /**
     * Stops an instance: logs out without waiting for the server and releases the sink. Answers
     * of calls already made still arrive; later calls on the handle answer code 6013. Unknown
     * handles are ignored.
     */
    public static void destroy(long handle) {
        if (unavailable() == null) {
            try {
                nativeDestroy(handle);
            } catch (UnsatisfiedLinkError e) {
                mismatched(e);
            }
        }
    }

    private static native long nativeCreate(Sink sink);

    private static native String nativeCall(long handle, long requestId, String method, String paramsJson);

    private static native void nativeDestroy(long handle);
}
