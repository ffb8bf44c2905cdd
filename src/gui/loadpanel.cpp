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

void LoadPanel::setServerUrl(const QUrl&)
{
}
void LoadPanel::setDatabase(const std::optional<voxtrack::DatabaseUrl>&)
{
}
bool LoadPanel::selectScenario(const QString&)
{
    return false;
}
void LoadPanel::setSessions(int)
{
}
void LoadPanel::setConcurrency(int)
{
}
void LoadPanel::setArrivalRate(double)
{
}
void LoadPanel::start()
{
}
void LoadPanel::stop()
{
}

} // namespace voxtrack::gui
