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

void LoadPanel::setServerUrl(const QUrl& conversationUrl)
{
    Q_UNUSED(conversationUrl);
}

void LoadPanel::setDatabase(const std::optional<DatabaseUrl>& url)
{
    Q_UNUSED(url);
}

} // namespace voxtrack::gui
