// What the override layer exports (exports.map has the same list): everything else in
// libhakmem.so is hidden.
#pragma once

#define HAK_EXPORT __attribute__((visibility("default")))
