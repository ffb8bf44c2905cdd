// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

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

private:
    std::unique_ptr<Ui::DashboardPage> ui;
};

} // namespace voxtrack::gui
