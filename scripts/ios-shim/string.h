/* Only what ring's C code needs from <string.h>: scripts/check-mobile.sh compiles for iOS without
 * Apple's SDK (Linux's glibc headers do not parse for Apple targets). Shipping builds use Xcode. */
#pragma once
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
