package com.timrs;

import com.facebook.react.BaseReactPackage;
import com.facebook.react.bridge.NativeModule;
import com.facebook.react.bridge.ReactApplicationContext;
import com.facebook.react.module.model.ReactModuleInfo;
import com.facebook.react.module.model.ReactModuleInfoProvider;
import java.util.Collections;

/**
 * Registers {@link TencentImSDKModule}. Autolinking finds this class (it extends
 * BaseReactPackage) and adds {@code new TencentImSDKPackage()} to the app.
 */
public final class TencentImSDKPackage extends BaseReactPackage {
    @Override
    public NativeModule getModule(String name, ReactApplicationContext context) {
        return TencentImSDKModule.NAME.equals(name) ? new TencentImSDKModule(context) : null;
    }

    @Override
    public ReactModuleInfoProvider getReactModuleInfoProvider() {
        ReactModuleInfo info = new ReactModuleInfo(
                TencentImSDKModule.NAME,
                TencentImSDKModule.class.getName(),
                false, // canOverrideExistingModule
                false, // needsEagerInit: created when JavaScript first asks for it
                false, // isCxxModule
                // A TurboModule only where codegen made the spec its base class.
                BuildConfig.IS_NEW_ARCHITECTURE_ENABLED);
        return () -> Collections.singletonMap(TencentImSDKModule.NAME, info);
    }
}
