// What swiftc exports to Objective-C from ios/TimSession.swift (its generated
// react_native_tim_rs-Swift.h), written out by Swift's naming rules: `init(onEvent:)` is
// `initWithOnEvent:`, `call(method:paramsJson:completion:)` is
// `callWithMethod:paramsJson:completion:`, `@Sendable` closures are blocks.
#import <Foundation/Foundation.h>
NS_ASSUME_NONNULL_BEGIN
__attribute__((objc_subclassing_restricted))
@interface TimSession : NSObject
- (instancetype)initWithOnEvent:(void (^)(NSString *))onEvent NS_DESIGNATED_INITIALIZER;
- (void)callWithMethod:(NSString *)method paramsJson:(NSString *)paramsJson completion:(void (^)(NSString *))completion;
- (void)close;
- (instancetype)init NS_UNAVAILABLE;
+ (instancetype)new NS_UNAVAILABLE;
@end
NS_ASSUME_NONNULL_END
