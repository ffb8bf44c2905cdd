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

void SimulatorPage::setServerUrl(const QUrl&)
{
}
void SimulatorPage::setDatabase(const std::optional<voxtrack::DatabaseUrl>&)
{
}
void SimulatorPage::startSession()
{
}
void SimulatorPage::sendText(const QString&)
{
}
void SimulatorPage::endSession()
{
}

} // namespace voxtrack::gui
