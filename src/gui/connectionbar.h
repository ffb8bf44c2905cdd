// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class ConnectionBar;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class ConnectionBar : public QWidget {
    Q_OBJECT

public:
    explicit ConnectionBar(QWidget* parent = nullptr);
    ~ConnectionBar() override;

private:
    std::unique_ptr<Ui::ConnectionBar> ui;
};

} // namespace voxtrack::gui
