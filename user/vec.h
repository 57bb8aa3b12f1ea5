/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * vec.h - one growable array: a (pointer, count, capacity) triple grown by
 * doubling, with the size arithmetic checked.
 */
#ifndef PA_VEC_H
#define PA_VEC_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Room for one more element after count in ptr (capacity *cap elements of
 * elem bytes): ptr itself if there is, else ptr reallocated to twice *cap
 * (first min) and *cap updated.  NULL if the size overflows or realloc fails;
 * ptr is then left as it was.
 */
static inline void *vec_grow_(void *ptr, size_t *cap, size_t count, size_t elem, size_t min)
{
	size_t ncap;
	void *p;

	if (count < *cap)
		return ptr;
	ncap = *cap ? *cap * 2 : min;
	if (ncap <= count || ncap < *cap || !elem || ncap > SIZE_MAX / elem)
		return NULL;
	p = realloc(ptr, ncap * elem);
	if (p)
		*cap = ncap;
	return p;
}

/*
 * Makes room in the array ptr (count elements used, cap allocated; cap an
 * integer lvalue of any type) for one more.  0, or -ENOMEM with ptr and cap
 * unchanged (also when the new capacity does not fit cap's type).
 */
#define VEC_RESERVE(ptr, count, cap, min)                                                  \
	__extension__({                                                                     \
		size_t vc_ = (size_t)(cap);                                                 \
		void *vp_ = vec_grow_((ptr), &vc_, (size_t)(count), sizeof(*(ptr)), (min)); \
		int vr_ = -ENOMEM;                                                          \
		if (vp_ && (size_t)(__typeof__(cap))vc_ == vc_ && (__typeof__(cap))vc_ > 0) { \
			(ptr) = vp_;                                                        \
			(cap) = (__typeof__(cap))vc_;                                       \
			vr_ = 0;                                                            \
		}                                                                           \
		vr_;                                                                        \
	})

#endif
