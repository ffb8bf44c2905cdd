// SPDX-License-Identifier: MIT
#include "gui/settingsdialog.h"
#include "ui_settingsdialog.h"

namespace voxtrack::gui {

SettingsDialog::SettingsDialog(QWidget* parent)
    : QDialog(parent)
    , ui(std::make_unique<Ui::SettingsDialog>())
{
    ui->setupUi(this);
}

SettingsDialog::~SettingsDialog() = default;

} // namespace voxtrack::gui
