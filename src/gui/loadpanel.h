// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class LoadPanel;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class LoadPanel : public QWidget {
    Q_OBJECT

public:
    explicit LoadPanel(QWidget* parent = nullptr);
    ~LoadPanel() override;

private:
    std::unique_ptr<Ui::LoadPanel> ui;
};

} // namespace voxtrack::gui
