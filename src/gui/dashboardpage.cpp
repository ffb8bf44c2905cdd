// SPDX-License-Identifier: MIT
#include "gui/dashboardpage.h"
#include "ui_dashboardpage.h"

namespace voxtrack::gui {

DashboardPage::DashboardPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::DashboardPage>())
{
    ui->setupUi(this);
}

DashboardPage::~DashboardPage() = default;

void DashboardPage::setDatabase(const voxtrack::DatabaseUrl&, store::ChangeFeed*)
{
}
void DashboardPage::reload()
{
}

} // namespace voxtrack::gui
