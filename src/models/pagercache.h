// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "store/connection.h"
#include "store/queries.h"

#include <optional>

namespace voxtrack::models {

/// The SessionPager of one database thread, made once per connection (making one reads the
/// schema). Only touched by jobs on that thread.
struct SessionPagerCache {
    store::Connection* connection = nullptr;
    std::optional<store::SessionPager> pager;

    [[nodiscard]] Expected<store::SessionPager*> pagerFor(store::Connection* current)
    {
        if (connection != current || !pager) {
            pager.reset();
            connection = current;
            auto created = store::SessionPager::create(*current);
            if (!created)
                return created.error();
            pager.emplace(std::move(*created));
        }
        return &*pager;
    }
};

} // namespace voxtrack::models
