// SPDX-License-Identifier: MIT
#include "gui/conversationpage.h"
#include "ui_conversationpage.h"

namespace voxtrack::gui {

ConversationPage::ConversationPage(QWidget* parent)
    : QWidget(parent)
    , ui(std::make_unique<Ui::ConversationPage>())
{
    ui->setupUi(this);
}

ConversationPage::~ConversationPage() = default;

void ConversationPage::setDatabase(const voxtrack::DatabaseUrl&, store::ChangeFeed*)
{
}
void ConversationPage::setSessionId(const QString&)
{
}

} // namespace voxtrack::gui
