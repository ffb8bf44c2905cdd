// SPDX-License-Identifier: MIT
#include "gui/loadpanel.h"
#include "ui_loadpanel.h"

namespace voxtrack::gui {

LoadPanel::LoadPanel(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::LoadPanel>())
{
    ui->setupUi(this);
}

LoadPanel::~LoadPanel() = default;

} // namespace voxtrack::gui
