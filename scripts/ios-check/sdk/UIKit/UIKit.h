// A stand-in for UIKit: the few classes React Native's module headers name.
#pragma once
#import <Foundation/Foundation.h>
NS_ASSUME_NONNULL_BEGIN
@interface UIResponder : NSObject
@end
@interface UIView : UIResponder
@end
@interface UIViewController : UIResponder
@end
@interface UIWindow : UIView
@end
@interface UIApplication : UIResponder
@end
@interface UIColor : NSObject
@end
@interface UIImage : NSObject
@end
@interface UIFont : NSObject
@end
@interface UIScreen : NSObject
@end
@interface UITraitCollection : NSObject
@end
typedef NS_ENUM(NSInteger, UIUserInterfaceStyle) { UIUserInterfaceStyleUnspecified };
typedef struct UIEdgeInsets { CGFloat top, left, bottom, right; } UIEdgeInsets;
NS_ASSUME_NONNULL_END
