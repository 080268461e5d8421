// A stand-in for Apple's Foundation, enough for React Native's headers and the module's shim to
// be compiled for syntax and types off macOS. Declarations only; nothing links against it.
#pragma once
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
#include <memory>
#endif

typedef bool BOOL;
#define YES __objc_yes
#define NO __objc_no
#define nil ((id)0)
#define Nil ((Class)0)
typedef long NSInteger;
typedef unsigned long NSUInteger;
typedef double CGFloat;
typedef double NSTimeInterval;
typedef struct CGPoint { CGFloat x, y; } CGPoint;
typedef struct CGSize { CGFloat width, height; } CGSize;
typedef struct CGRect { CGPoint origin; CGSize size; } CGRect;
typedef struct _NSRange { NSUInteger location, length; } NSRange;
typedef void (^dispatch_block_t)(void);
typedef uint16_t unichar;

#define NS_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#define NS_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
#define NS_DESIGNATED_INITIALIZER __attribute__((objc_designated_initializer))
#define NS_UNAVAILABLE __attribute__((unavailable))
#define NS_REQUIRES_SUPER __attribute__((objc_requires_super))
#define NS_SWIFT_NAME(name) __attribute__((swift_name(#name)))
#define NS_SWIFT_UNAVAILABLE(msg)
#define NS_REFINED_FOR_SWIFT
#define NS_NOESCAPE __attribute__((noescape))
#define NS_RETURNS_RETAINED __attribute__((ns_returns_retained))
#define NS_ENUM_PICK_(_1, _2, NAME, ...) NAME
#define NS_NAMED_ENUM_(T, N) enum N : T N; enum N : T
#define NS_ANON_ENUM_(T) enum : T
#define NS_ENUM(...) NS_ENUM_PICK_(__VA_ARGS__, NS_NAMED_ENUM_, NS_ANON_ENUM_, )(__VA_ARGS__)
#define NS_OPTIONS(T, N) enum N : T N; enum N : T
#define NS_CLOSED_ENUM(T, N) enum N : T N; enum N : T
#define NS_ERROR_ENUM(D, N) enum N : NSInteger N; enum N : NSInteger
#define NS_STRING_ENUM
#define NS_TYPED_ENUM
#define NS_TYPED_EXTENSIBLE_ENUM
#define FOUNDATION_EXPORT extern
#define FOUNDATION_EXTERN extern
#define NS_INLINE static inline
#define NS_FORMAT_FUNCTION(F, A) __attribute__((format(__NSString__, F, A)))
#define NS_FORMAT_ARGUMENT(A)
#define API_AVAILABLE(...)
#define API_UNAVAILABLE(...)
#define API_DEPRECATED(...)
#define API_DEPRECATED_WITH_REPLACEMENT(...)
#define NS_EXTENSION_UNAVAILABLE_IOS(msg)
#define NS_AVAILABLE_IOS(v)
#define NS_DEPRECATED_IOS(...)
#define NS_DEPRECATED(...)
#define __IOS_AVAILABLE(v)
#define __deprecated_msg(msg) __attribute__((deprecated(msg)))
#define NS_ROOT_CLASS __attribute__((objc_root_class))
#define NS_SWIFT_SENDABLE
#define NS_HEADER_AUDIT_BEGIN(...) NS_ASSUME_NONNULL_BEGIN
#define NS_HEADER_AUDIT_END(...) NS_ASSUME_NONNULL_END

NS_ASSUME_NONNULL_BEGIN

@class NSString, NSArray<ObjectType>, NSDictionary<KeyType, ObjectType>, NSError, NSURL, NSData, NSDate,
    NSNumber, NSSet<ObjectType>, NSMutableArray<ObjectType>, NSMutableDictionary<KeyType, ObjectType>,
    NSInvocation, NSMethodSignature, NSCoder, NSBundle, NSNotification, NSThread, NSOperationQueue,
    NSLock, NSHashTable<ObjectType>, NSMapTable<KeyType, ObjectType>, NSValue, NSNull, NSMutableString,
    NSMutableSet<ObjectType>, NSURLRequest, NSIndexSet, NSCharacterSet, NSAttributedString,
    NSRecursiveLock, NSPointerArray, NSTimer, NSRunLoop, NSUUID, NSLocale, NSException;

@protocol NSObject
- (BOOL)isEqual:(nullable id)object;
@property (readonly) NSUInteger hash;
- (instancetype)self;
- (BOOL)isKindOfClass:(Class)aClass;
- (BOOL)respondsToSelector:(SEL)aSelector;
- (BOOL)conformsToProtocol:(Protocol *)aProtocol;
@property (readonly, copy) NSString *description;
@end
@protocol NSCopying
- (id)copyWithZone:(nullable void *)zone;
@end
@protocol NSMutableCopying
- (id)mutableCopyWithZone:(nullable void *)zone;
@end
@protocol NSFastEnumeration
@end
@protocol NSLocking
- (void)lock;
- (void)unlock;
@end

NS_ROOT_CLASS
@interface NSObject <NSObject> {
  Class isa;
}
+ (instancetype)alloc;
+ (instancetype)new;
+ (Class)class;
- (instancetype)init;
- (id)copy;
- (id)mutableCopy;
+ (BOOL)instancesRespondToSelector:(SEL)aSelector;
@end

@interface NSString : NSObject <NSCopying, NSMutableCopying>
@property (readonly) NSUInteger length;
+ (instancetype)stringWithFormat:(NSString *)format, ... NS_FORMAT_FUNCTION(1, 2);
+ (instancetype)stringWithUTF8String:(const char *)s;
@property (nullable, readonly) const char *UTF8String;
@end
@interface NSMutableString : NSString
@end
@interface NSArray<__covariant ObjectType> : NSObject <NSCopying, NSMutableCopying, NSFastEnumeration>
@property (readonly) NSUInteger count;
+ (instancetype)arrayWithObjects:(const ObjectType _Nonnull[_Nonnull])objects count:(NSUInteger)cnt;
- (ObjectType)objectAtIndexedSubscript:(NSUInteger)idx;
@end
@interface NSMutableArray<ObjectType> : NSArray<ObjectType>
- (instancetype)initWithCapacity:(NSUInteger)numItems;
- (void)addObject:(ObjectType)anObject;
- (void)setObject:(ObjectType)obj atIndexedSubscript:(NSUInteger)idx;
@end
@interface NSDictionary<__covariant KeyType, __covariant ObjectType> : NSObject <NSCopying, NSMutableCopying, NSFastEnumeration>
+ (instancetype)dictionaryWithObjects:(const ObjectType _Nonnull[_Nonnull])objects
                              forKeys:(const KeyType _Nonnull[_Nonnull])keys
                                count:(NSUInteger)cnt;
- (nullable ObjectType)objectForKeyedSubscript:(KeyType)key;
@end
@interface NSMutableDictionary<KeyType, ObjectType> : NSDictionary<KeyType, ObjectType>
@end
@interface NSSet<__covariant ObjectType> : NSObject <NSCopying, NSMutableCopying, NSFastEnumeration>
@end
@interface NSMutableSet<ObjectType> : NSSet<ObjectType>
@end
@interface NSValue : NSObject <NSCopying>
@end
@interface NSNumber : NSValue
+ (NSNumber *)numberWithBool:(BOOL)value;
+ (NSNumber *)numberWithInteger:(NSInteger)value;
+ (NSNumber *)numberWithDouble:(double)value;
@end
@interface NSError : NSObject <NSCopying>
@end
@interface NSURL : NSObject <NSCopying>
@end
@interface NSData : NSObject <NSCopying>
@end
@interface NSDate : NSObject <NSCopying>
@end
@interface NSNull : NSObject
@end
@interface NSLock : NSObject <NSLocking>
@end
@interface NSBundle : NSObject
@end
@interface NSNotification : NSObject
@end
@interface NSThread : NSObject
@end
@interface NSException : NSObject
@end
@interface NSHashTable<ObjectType> : NSObject
@end
@interface NSMapTable<KeyType, ObjectType> : NSObject
@end
@interface NSInvocation : NSObject
@end
@interface NSMethodSignature : NSObject
@end
@interface NSURLRequest : NSObject
@end
@interface NSIndexSet : NSObject
@end
@interface NSAttributedString : NSObject
@end
@interface NSCoder : NSObject
@end
@interface NSOperationQueue : NSObject
@end
@interface NSTimer : NSObject
@end
@interface NSRunLoop : NSObject
@end
@interface NSUUID : NSObject
@end
@interface NSLocale : NSObject
@end
@interface NSRecursiveLock : NSObject <NSLocking>
@end
@interface NSPointerArray : NSObject
@end
@interface NSCharacterSet : NSObject
@end

// Dispatch objects are Objective-C objects under ARC, as in Apple's SDK.
@protocol OS_dispatch_queue <NSObject>
@end
typedef NSObject<OS_dispatch_queue> *dispatch_queue_t;
@interface NSURLQueryItem : NSObject
@end

typedef const struct __attribute__((objc_bridge(NSNull))) __CFNull *CFNullRef;
extern const CFNullRef kCFNull;

FOUNDATION_EXPORT void NSLog(NSString *format, ...) NS_FORMAT_FUNCTION(1, 2);

NS_ASSUME_NONNULL_END
