// The Objective-C++ shim that React Native needs around the Swift session (TimSession.swift):
// it registers the module, exposes `call` and the event emitter, and on the new architecture
// hands React Native the codegen'd TurboModule. Strings in, strings out; nothing else.
#import "TencentImSDK.h"

#if __has_include(<react_native_tim_rs/react_native_tim_rs-Swift.h>)
#import <react_native_tim_rs/react_native_tim_rs-Swift.h>
#else
#import "react_native_tim_rs-Swift.h"
#endif

static NSString *const kTimEvent = @"TimEvent";

@implementation TencentImSDK {
  TimSession *_session;
}

RCT_EXPORT_MODULE(TencentImSDK)

+ (BOOL)requiresMainQueueSetup {
  return NO;
}

// Observation disabled: RCTEventEmitter otherwise drops events while JS has no listener, and
// the Android module emits every event. `sendEventWithName:` is safe from any thread (React Native
// hands the event to the JS thread); after invalidation it finds no JS and does nothing.
- (instancetype)init {
  if (self = [super initWithDisabledObservation]) {
    __weak TencentImSDK *weakSelf = self;
    _session = [[TimSession alloc] initWithOnEvent:^(NSString *eventJson) {
      [weakSelf sendEventWithName:kTimEvent body:eventJson];
    }];
  }
  return self;
}

- (NSArray<NSString *> *)supportedEvents {
  return @[ kTimEvent ];
}

RCT_EXPORT_METHOD(call:(NSString *)method
                  paramsJson:(NSString *)paramsJson
                  resolve:(RCTPromiseResolveBlock)resolve
                  reject:(RCTPromiseRejectBlock)reject) {
  // Resolves exactly once, in the core's order with the events (on a core thread, or on this one
  // when no event is ahead of the answer): both go to the JS thread's one queue from there (React Native's blocks may be called from any
  // thread). Never rejects: every failure is a code in the JSON.
  [_session callWithMethod:method paramsJson:paramsJson completion:^(NSString *resultJson) {
    resolve(resultJson);
  }];
}

- (void)invalidate {
  [_session close];
  [super invalidate];
}

#ifdef RCT_NEW_ARCH_ENABLED
- (std::shared_ptr<facebook::react::TurboModule>)getTurboModule:
    (const facebook::react::ObjCTurboModule::InitParams &)params {
  return std::make_shared<facebook::react::NativeTencentImSDKSpecJSI>(params);
}
#endif

@end
