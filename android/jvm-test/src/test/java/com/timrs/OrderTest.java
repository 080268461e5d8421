package com.timrs;

import static com.timrs.Harness.ticket;
import static com.timrs.TimServer.code;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.timrs.Harness.Client;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The order in which {@link TimNative.Sink} receives answers and events is the core's: an answer
 * after every event emitted before it, and before any emitted after, whichever thread made the
 * call. The React Native module hands both to the JS thread's one queue in that order.
 */
class OrderTest {
    private static TimServer server;

    @BeforeAll
    static void startServer() throws Exception {
        server = Harness.server();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    /**
     * A client whose sink hands events and results to one queue, in the order it receives them.
     * It holds the first event of one type until released, and queues it only then, as a sink
     * still busy handing it over.
     */
    static final class OrderedClient extends Client {
        final BlockingQueue<String> handedOver = new LinkedBlockingQueue<>();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final String held;

        OrderedClient(String held) {
            this.held = held;
        }

        @Override
        public void onEvent(String eventJson) {
            String type = Harness.type(eventJson);
            if (type.equals(held) && holding.getCount() == 1) {
                holding.countDown();
                try {
                    release.await(Harness.WAIT_SECONDS, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            handedOver.add(type);
            super.onEvent(eventJson);
        }

        @Override
        public void onResult(long requestId, String resultJson) {
            handedOver.add("result " + resultJson);
            super.onResult(requestId, resultJson);
        }

        /** The next {@code n} entries the sink received. */
        List<String> next(int n) throws InterruptedException {
            List<String> entries = new ArrayList<>();
            while (entries.size() < n) {
                String entry = handedOver.poll(Harness.WAIT_SECONDS, TimeUnit.SECONDS);
                if (entry == null) {
                    throw new AssertionError("only " + entries + " within " + Harness.WAIT_SECONDS + " s");
                }
                entries.add(entry);
            }
            return entries;
        }

        void held() throws InterruptedException {
            assertTrue(holding.await(Harness.WAIT_SECONDS, TimeUnit.SECONDS), "no " + held);
        }
    }

    /** Logs {@code user} in on another device, which kicks the first. */
    private static Client kickFromAnotherDevice(String user) throws Exception {
        Client other = new Client();
        other.init(server.url);
        assertEquals(0, code(other.login(user, ticket(Harness.KEY, user))));
        return other;
    }

    @Test
    void answersMadeFromManyThreadsWhileAnEventIsHandedOverComeAfterIt() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try (OrderedClient client = new OrderedClient("onKickedOffline")) {
            client.init(server.url);
            client.callAsync("login", "{\"userID\":\"jvm-erin\",\"userSig\":"
                    + Harness.quote(ticket(Harness.KEY, "jvm-erin")) + "}");
            List<String> login = client.next(4);
            assertEquals("onConnecting", login.get(1), login.toString());
            assertEquals("onConnectSuccess", login.get(2), login.toString());
            assertEquals(0, code(login.get(3).substring("result ".length())), login.toString());
            Client other = kickFromAnotherDevice("jvm-erin");
            try {
                client.held();
                // From 8 threads at once, while the kick is on its way to the sink.
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    calls.add(threads.submit(() -> client.callAsync("getLoginStatus", "{}")));
                }
                for (Future<?> call : calls) {
                    call.get(Harness.WAIT_SECONDS, TimeUnit.SECONDS);
                }
                client.release.countDown();
                List<String> after = client.next(65);
                assertEquals("onKickedOffline", after.get(0), after.toString());
                for (String answer : after.subList(1, after.size())) {
                    assertEquals("result {\"code\":0,\"data\":3,\"desc\":\"ok\"}", answer);
                }
            } finally {
                other.close();
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void anAnswerComesBeforeTheEventsEmittedAfterIt() throws Exception {
        try (OrderedClient client = new OrderedClient("onConnectSuccess")) {
            client.init(server.url);
            client.callAsync("login", "{\"userID\":\"jvm-frank\",\"userSig\":"
                    + Harness.quote(ticket(Harness.KEY, "jvm-frank")) + "}");
            client.held();
            // The login's answer is queued behind its onConnectSuccess, the kick after both.
            Client other = kickFromAnotherDevice("jvm-frank");
            try {
                client.release.countDown();
                List<String> entries = client.next(5);
                assertEquals(List.of("onConnecting", "onConnectSuccess", "result {\"code\":0,\"desc\":\"ok\"}",
                        "onKickedOffline"), entries.subList(1, 5), entries.toString());
            } finally {
                other.close();
            }
        }
    }
}
