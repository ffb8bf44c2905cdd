// SPDX-License-Identifier: MIT
#pragma once

#include "core/databaseurl.h"

#include <QWidget>

#include <memory>
namespace voxtrack::store {
class ChangeFeed;
}

namespace Ui {
class DashboardPage;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class DashboardPage : public QWidget {
    Q_OBJECT

public:
    explicit DashboardPage(QWidget* parent = nullptr);
    ~DashboardPage() override;
    void setDatabase(const voxtrack::DatabaseUrl& url, store::ChangeFeed* feed);
    void reload();

Q_SIGNALS:
    void statusMessage(const QString& message);
    void reloaded();

private:
    std::unique_ptr<Ui::DashboardPage> ui;
};

} // namespace voxtrack::gui
