// SPDX-License-Identifier: MIT
#include "gui/simulatorpage.h"
#include "ui_simulatorpage.h"

namespace voxtrack::gui {

SimulatorPage::SimulatorPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::SimulatorPage>())
{
    ui->setupUi(this);
}

SimulatorPage::~SimulatorPage() = default;

} // namespace voxtrack::gui
