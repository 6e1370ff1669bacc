/* The host model as JSON, exactly as docs/json.md documents it for `list --json`. */
#pragma once
#include <json-c/json.h>
#include "core/model.h"

/* Print with JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE. Caller owns the
 * returned objects (json_object_put). */
json_object *model_json_host(const struct host_model *host);
json_object *model_json_domain(const struct vm_domain *dom);
json_object *model_json_config(const struct vm_config *cfg);
json_object *model_json_disk(const struct vm_disk *disk);

/* "7.2.0" from major*1000000+minor*1000+micro; NULL for 0. Caller frees with g_free(). */
char *model_version_string(unsigned long version);
