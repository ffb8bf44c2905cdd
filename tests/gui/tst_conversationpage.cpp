// SPDX-License-Identifier: MIT
#include "gui/conversationpage.h"

#include <QTest>

class TestConversationPage : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void opens()
    {
        voxtrack::gui::ConversationPage widget;
        widget.show();
        QVERIFY(QTest::qWaitForWindowExposed(&widget));
    }
};

QTEST_MAIN(TestConversationPage)
#include "tst_conversationpage.moc"
