// Route A: per size class, the allocator opens or closes adoption itself, from what adoption
// did lately. Closed is Route S; open is Route P's gated adoption. Evidence is gathered in
// windows of route_a_window events (adoptions and fresh pages of the class):
//   open -> closed: the domino. Pages adopted from a victim are followed by that victim
//     taking a fresh page of the class (it lost pages it would have reused): when at least
//     half the window's adoptions were followed so, adoption is closed.
//   closed -> open: pending pages ageing in idle heaps. A fresh page is taken while another
//     heap's pending page passes every Route P gate (its owner idle, the window of first
//     refusal over): when at least half the window's fresh pages were such, it opens.
// The two tests look at different events and a decision needs a whole window, which is the
// hysteresis: one domino does not close a class, one idle heap does not open it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hakmem {

bool route_a_open(size_t cls);
// A heap adopted a page of the class (its victim was counted in Heap::robbed).
void route_a_adopted(size_t cls);
// A heap took a fresh page of the class; `robbed`: pages adopted from it since its last fresh
// page of the class; `missed`: the class is closed and an idle heap's page would have served.
void route_a_fresh_page(size_t cls, uint32_t robbed, bool missed);

}  // namespace hakmem
