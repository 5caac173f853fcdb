/* Error codes shared by every module: see include/hotline/common.h. */
#include <string.h>

#include "hotline/common.h"

__thread int hl_errno;

static const char *const hl_error_msg[] = {
#define HL_E_MSG_(sym, msg) msg,
	HL_FOREACH_ERROR(HL_E_MSG_)
#undef HL_E_MSG_
};

const char *
hl_strerror(int err)
{
	if (err == 0)
		return "success";
	if (err <= HL_E_BASE) {
		unsigned int i = (unsigned int)(HL_E_BASE - err);
		if (i < HL_ARRAY_SIZE(hl_error_msg))
			return hl_error_msg[i];
		return "unknown hotline error";
	}
	if (err < 0)
		err = -err;
	return strerror(err);
}
