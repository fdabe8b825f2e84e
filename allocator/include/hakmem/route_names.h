/* The routes by name: the one list that the allocator, the server and the tools parse route
 * names from and print them with. Header-only, because the tools (hakmem-admin, hakmem-load)
 * do not link the allocator. Case-insensitive. */
#ifndef HAKMEM_ROUTE_NAMES_H
#define HAKMEM_ROUTE_NAMES_H

#include <strings.h>

#include "hakmem/hakmem.h"

static const struct {
  const char* name;
  hak_route route;
} hak_route_names[] = {
    {"S", HAK_ROUTE_S}, {"P", HAK_ROUTE_P}, {"CDA", HAK_ROUTE_CDA}, {"A", HAK_ROUTE_A}};

/* The names as users write them, for error messages. */
#define HAK_ROUTE_NAMES_TEXT "S, P, CDA or A"

/* 1 and *out set when text names a route, else 0. */
static inline int hak_route_from_name(const char* text, hak_route* out) {
  for (size_t i = 0; text != NULL && i < sizeof hak_route_names / sizeof hak_route_names[0]; ++i) {
    if (strcasecmp(text, hak_route_names[i].name) == 0) {
      *out = hak_route_names[i].route;
      return 1;
    }
  }
  return 0;
}

/* "S", "P", "CDA", "A", or "?" for a value that is no route. */
static inline const char* hak_route_to_name(hak_route route) {
  for (size_t i = 0; i < sizeof hak_route_names / sizeof hak_route_names[0]; ++i) {
    if (hak_route_names[i].route == route) return hak_route_names[i].name;
  }
  return "?";
}

#endif /* HAKMEM_ROUTE_NAMES_H */
