// SPDX-License-Identifier: MIT
#include "gui/connectionbar.h"
#include "ui_connectionbar.h"

namespace voxtrack::gui {

ConnectionBar::ConnectionBar(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ConnectionBar>())
{
    ui->setupUi(this);
}

ConnectionBar::~ConnectionBar() = default;

void ConnectionBar::connectTo(const QString&, const QString&)
{
}
void ConnectionBar::disconnectAll()
{
}
void ConnectionBar::focusDatabaseField()
{
}

} // namespace voxtrack::gui
