package com.timrs;

import static com.timrs.TimServer.code;
import static com.timrs.TimServer.field;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import com.facebook.react.bridge.JavaScriptModule;
import com.facebook.react.bridge.NativeModule;
import com.facebook.react.bridge.Promise;
import com.facebook.react.internal.featureflags.ReactNativeFeatureFlagsForTests;
import com.facebook.react.module.model.ReactModuleInfo;
import com.facebook.react.turbomodule.core.interfaces.TurboModule;
import java.io.File;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.RobolectricTestRunner;
import org.robolectric.RuntimeEnvironment;

/**
 * The React Native module as React Native drives it, on Robolectric's Android: the module and
 * package classes as an app compiles them, React Native's own context and promise interfaces, the
 * host build of libtim_ffi and a real tim-server. Only JavaScript is missing: {@link FakeJs}
 * records what native code sends to it.
 */
@RunWith(RobolectricTestRunner.class)
public class TencentImSDKModuleTest {
    private static final long APP = 1_400_000_123L;
    private static final String KEY = "module-test-key";
    /** Every wait gives up after this, so a lost promise or event fails, never hangs. */
    private static final long WAIT_SECONDS = TimServer.WAIT_SECONDS;

    private static TimServer server;
    private static String serverUrl;

    private final List<TencentImSDKModule> modules = new ArrayList<>();
    /** Promises resolved twice or rejected: the module must do neither. */
    private final List<String> misuse = new CopyOnWriteArrayList<>();

    @BeforeClass
    public static void startServer() throws IOException {
        server = new TimServer(APP, KEY,
                new File(System.getProperty("tim.log.dir", "target"), "tim-server.log"));
        serverUrl = server.url;
    }

    @AfterClass
    public static void stopServer() throws IOException {
        server.close();
    }

    /** React Native's feature flags are native code by default; its tests use the Java ones. */
    @Before
    public void javaFeatureFlags() {
        ReactNativeFeatureFlagsForTests.INSTANCE.setUp();
    }

    @After
    public void invalidateModules() {
        modules.forEach(TencentImSDKModule::invalidate);
        assertTrue("promises misused: " + misuse, misuse.isEmpty());
    }

    @Test
    public void loginThroughTheModuleResolvesCode0AndEventsReachJavaScript() throws Exception {
        FakeJs js = new FakeJs();
        TencentImSDKModule module = module(js);
        assertEquals(0, code(call(module, "initSDK", initParams(serverUrl, ""))));
        assertEquals(0, code(call(module, "login", loginParams("alice", server.ticket("alice")))));
        js.event("onConnectSuccess");
        assertEquals("\"alice\"", field(call(module, "getLoginUser", "{}"), "data"));
    }

    @Test
    public void wrongTypesResolve6017() throws Exception {
        TencentImSDKModule module = module(new FakeJs());
        // Checked by the core, answered through the sink.
        String answer = call(module, "login", "{\"userID\":7,\"userSig\":\"x\"}");
        assertEquals(6017, code(answer));
        assertTrue(answer, answer.contains("userID"));
        // Answered by TimNative.call itself (the old architecture can pass null).
        CompletableFuture<String> now = callAsync(module, null, "{}");
        assertTrue("answered before call returned", now.isDone());
        assertEquals(6017, code(now.get()));
    }

    @Test
    public void aSecondDeviceKicksTheFirstAndJavaScriptHearsIt() throws Exception {
        FakeJs firstJs = new FakeJs();
        TencentImSDKModule first = module(firstJs);
        TencentImSDKModule second = module(new FakeJs());
        assertEquals(0, code(call(first, "initSDK", initParams(serverUrl, ""))));
        assertEquals(0, code(call(second, "initSDK", initParams(serverUrl, ""))));
        assertEquals(0, code(call(first, "login", loginParams("carol", server.ticket("carol")))));
        assertEquals(0, code(call(second, "login", loginParams("carol", server.ticket("carol")))));
        assertEquals("null", field(firstJs.event("onKickedOffline"), "data"));
    }

    @Test
    public void invalidateAnswersACallInFlightAndEveryLaterCall() throws Exception {
        TencentImSDKModule module = module(new FakeJs());
        try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            // A server that accepts the connection and never answers: the login stays pending.
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return silent.accept();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            String url = "ws://127.0.0.1:" + silent.getLocalPort();
            String longTimeouts = ",\"connectTimeoutMs\":60000,\"requestTimeoutMs\":60000";
            assertEquals(0, code(call(module, "initSDK", initParams(url, longTimeouts))));
            CompletableFuture<String> login = callAsync(module, "login", loginParams("dan", "x"));
            Socket connection = accepted.get(WAIT_SECONDS, TimeUnit.SECONDS);
            assertFalse(login.isDone());
            module.invalidate(); // what React Native does when the instance goes away
            assertEquals(7009, code(await(login)));
            connection.close();
        }
        CompletableFuture<String> later = callAsync(module, "getVersion", "{}");
        assertTrue("answered before call returned", later.isDone());
        assertEquals(6013, code(later.get()));
    }

    @Test
    public void javaScriptGetsAnswersAndEventsInTheCoresOrder() throws Exception {
        FakeJs js = new FakeJs();
        TencentImSDKModule module = module(js);
        assertEquals(0, code(call(module, "initSDK", initParams(serverUrl, ""))));
        js.hold("onKickedOffline");
        module.call("login", loginParams("erin", server.ticket("erin")), js.promise());
        assertEquals(List.of("onConnecting", "onConnectSuccess", "result 0"), js.next(3));
        TencentImSDKModule other = module(new FakeJs());
        assertEquals(0, code(call(other, "initSDK", initParams(serverUrl, ""))));
        assertEquals(0, code(call(other, "login", loginParams("erin", server.ticket("erin")))));
        js.held();
        // Asked while the kick is on its way to JavaScript: answered after it, with status 3.
        for (int i = 0; i < 16; i++) {
            module.call("getLoginStatus", "{}", js.promise());
        }
        js.release();
        List<String> after = js.next(17);
        assertEquals("onKickedOffline", after.get(0));
        assertEquals(List.of("result 0 3"), after.subList(1, 17).stream().distinct().toList());
    }

    @Test
    public void thePackageRegistersTheModuleForTheArchitectureItWasBuiltFor() {
        boolean newArch = "newarch".equals(System.getProperty("tim.arch"));
        assertEquals(newArch, BuildConfig.IS_NEW_ARCHITECTURE_ENABLED);
        TencentImSDKPackage pkg = new TencentImSDKPackage();
        ReactModuleInfo info = pkg.getReactModuleInfoProvider().getReactModuleInfos()
                .get("TencentImSDK");
        assertEquals("TencentImSDK", info.name());
        assertEquals(TencentImSDKModule.class.getName(), info.className());
        assertEquals(newArch, info.isTurboModule());
        assertFalse(info.needsEagerInit());

        FakeJs js = new FakeJs();
        assertNull(pkg.getModule("SomethingElse", js));
        NativeModule module = pkg.getModule("TencentImSDK", js);
        modules.add((TencentImSDKModule) module);
        assertEquals("TencentImSDK", module.getName());
        assertEquals(newArch, module instanceof TurboModule);
    }

    // ---- helpers ----

    private TencentImSDKModule module(FakeJs js) {
        TencentImSDKModule module = new TencentImSDKModule(js);
        modules.add(module);
        return module;
    }

    /** What JavaScript's {@code module.call(method, paramsJson)} does: a promise. */
    private CompletableFuture<String> callAsync(
            TencentImSDKModule module, String method, String paramsJson) {
        CompletableFuture<String> answer = new CompletableFuture<>();
        AtomicInteger resolved = new AtomicInteger();
        Promise promise = fake(Promise.class, (m, args) -> {
            if (!m.getName().equals("resolve")) {
                misuse.add(method + " rejected: " + Arrays.toString(args));
            } else if (resolved.incrementAndGet() > 1) {
                misuse.add(method + " resolved twice");
            } else {
                answer.complete((String) args[0]);
            }
            return null;
        });
        module.call(method, paramsJson, promise);
        return answer;
    }

    private String call(TencentImSDKModule module, String method, String paramsJson)
            throws Exception {
        return await(callAsync(module, method, paramsJson));
    }

    private static String await(CompletableFuture<String> answer) throws Exception {
        return answer.get(WAIT_SECONDS, TimeUnit.SECONDS);
    }

    private static String initParams(String url, String moreConfig) {
        return "{\"sdkAppID\":" + APP + ",\"logLevel\":0,\"config\":{\"serverUrl\":\"" + url
                + "\"" + moreConfig + "}}";
    }

    private static String loginParams(String user, String sig) {
        return "{\"userID\":\"" + user + "\",\"userSig\":\"" + sig + "\"}";
    }


    /** An implementation of an interface that hands each call to {@code answer}. */
    private static <T> T fake(Class<T> type, BiFunction<Method, Object[], Object> answer) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (self, method, args) -> switch (method.getName()) {
                    case "equals" -> self == args[0];
                    case "hashCode" -> System.identityHashCode(self);
                    case "toString" -> "fake " + type.getSimpleName();
                    default -> answer.apply(method, args);
                }));
    }

    /**
     * JavaScript's side of a React instance: React Native's bridge context (deprecated now, but
     * the one that runs without native code) whose JavaScript modules record the calls, as React
     * Native's JavaScriptModuleRegistry does with proxies of the module interfaces. The module
     * uses only these two methods, which the new architecture's context has too.
     */
    @SuppressWarnings("deprecation")
    private static final class FakeJs extends com.facebook.react.bridge.BridgeReactContext {
        /** Payloads of {@code RCTDeviceEventEmitter.emit("TimEvent", payload)}. */
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        /**
         * Event types and the answers of {@link #promise()}s, in the order JavaScript's one
         * thread would run them.
         */
        private final BlockingQueue<String> handedOver = new LinkedBlockingQueue<>();
        /** An event type whose first emit waits for {@link #release()}, as a busy JS queue. */
        private volatile String held;
        private final CountDownLatch holding = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);

        FakeJs() {
            super(RuntimeEnvironment.getApplication());
        }

        @Override
        public boolean hasActiveReactInstance() {
            return true;
        }

        @Override
        public <T extends JavaScriptModule> T getJSModule(Class<T> type) {
            return type.cast(jsModule(type));
        }

        private Object jsModule(Class<?> type) {
            return fake(type, (m, args) -> {
                String call = type.getSimpleName() + "." + m.getName();
                if (call.equals("RCTDeviceEventEmitter.emit") && "TimEvent".equals(args[0])) {
                    handOver((String) args[1]);
                    return null;
                }
                return unexpected(m, args);
            });
        }

        private void handOver(String event) {
            String type = field(event, "type").replace("\"", "");
            if (type.equals(held) && holding.getCount() == 1) {
                holding.countDown();
                try {
                    released.await(WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            events.add(event);
            handedOver.add(type);
        }

        /** A promise whose answer ("result CODE [DATA]") joins the events' order. */
        Promise promise() {
            return fake(Promise.class, (m, args) -> {
                String answer = (String) args[0];
                String data = answer.contains("\"data\":") ? " " + field(answer, "data") : "";
                handedOver.add("result " + code(answer) + data);
                return null;
            });
        }

        void hold(String type) {
            held = type;
        }

        /** Waits until the held event is being emitted. */
        void held() throws InterruptedException {
            assertTrue("no " + held, holding.await(WAIT_SECONDS, TimeUnit.SECONDS));
        }

        void release() {
            released.countDown();
        }

        /** The next {@code n} event types and answers handed over. */
        List<String> next(int n) throws InterruptedException {
            List<String> entries = new ArrayList<>();
            while (entries.size() < n) {
                String entry = handedOver.poll(WAIT_SECONDS, TimeUnit.SECONDS);
                if (entry == null) {
                    throw new AssertionError("only " + entries + " within " + WAIT_SECONDS + " s");
                }
                entries.add(entry);
            }
            return entries;
        }

        private static Object unexpected(Method m, Object[] args) {
            throw new UnsupportedOperationException(m + " " + Arrays.toString(args));
        }

        /** Waits for the next {@code TimEvent} of this type, skipping others. */
        String event(String type) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (true) {
                String event = events.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (event == null) {
                    throw new AssertionError("no " + type + " event within " + WAIT_SECONDS + " s");
                }
                if (field(event, "type").equals("\"" + type + "\"")) {
                    return event;
                }
            }
        }
    }
}
