// An intrusive doubly linked list of pages through Page::next/prev, oldest first. The heap's
// partial lists and the page allocator's free lists are both this; a page is on at most one.
#pragma once

#include "page.hpp"

namespace hakmem {

struct PageList {
  Page* head = nullptr;
  Page* tail = nullptr;

  bool empty() const { return head == nullptr; }

  void push_back(Page* p) {
    p->next = nullptr;
    p->prev = tail;
    if (tail)
      tail->next = p;
    else
      head = p;
    tail = p;
  }

  void remove(Page* p) {
    if (p->prev)
      p->prev->next = p->next;
    else
      head = p->next;
    if (p->next)
      p->next->prev = p->prev;
    else
      tail = p->prev;
    p->next = p->prev = nullptr;
  }

  Page* pop_back() {
    Page* p = tail;
    if (p) remove(p);
    return p;
  }
};

}  // namespace hakmem
