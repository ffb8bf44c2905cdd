// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

#include <memory>

namespace Ui {
class SettingsDialog;
}

namespace voxtrack::gui {

/// Placeholder: filled in by its own change.
class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(QWidget* parent = nullptr);
    ~SettingsDialog() override;

private:
    std::unique_ptr<Ui::SettingsDialog> ui;
};

} // namespace voxtrack::gui
