// The React Native module `TencentImSDK`: a TurboModule on the new architecture (it conforms to
// the codegen'd spec of js/NativeTencentImSDK.ts), a bridge module on the old one.
#import <React/RCTEventEmitter.h>

#ifdef RCT_NEW_ARCH_ENABLED
#import <TimRsSpec/TimRsSpec.h>
@interface TencentImSDK : RCTEventEmitter <NativeTencentImSDKSpec>
#else
#import <React/RCTBridgeModule.h>
@interface TencentImSDK : RCTEventEmitter <RCTBridgeModule>
#endif

@end
