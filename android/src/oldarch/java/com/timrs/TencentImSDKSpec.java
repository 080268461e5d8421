package com.timrs;

import com.facebook.react.bridge.Promise;
import com.facebook.react.bridge.ReactApplicationContext;
import com.facebook.react.bridge.ReactContextBaseJavaModule;

/**
 * The module's base class on the old architecture (the bridge): the same name and methods that
 * codegen generates into {@code NativeTencentImSDKSpec} for the new one (see
 * {@code src/newarch}), so that {@link TencentImSDKModule} is one class for both. build.gradle
 * picks this folder or {@code src/newarch} on {@code newArchEnabled}.
 */
abstract class TencentImSDKSpec extends ReactContextBaseJavaModule {
    /** The name JavaScript finds the module by (js/NativeTencentImSDK.ts). */
    public static final String NAME = "TencentImSDK";

    TencentImSDKSpec(ReactApplicationContext context) {
        super(context);
    }

    @Override
    public String getName() {
        return NAME;
    }

    public abstract void call(String method, String paramsJson, Promise promise);

    public abstract void addListener(String eventName);

    public abstract void removeListeners(double count);
}
