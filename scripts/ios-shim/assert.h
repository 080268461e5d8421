/* <assert.h> for scripts/check-mobile.sh's iOS builds without Apple's SDK (see string.h). */
#pragma once
#define assert(e) ((e) ? (void)0 : __builtin_trap())
#define static_assert _Static_assert
