// SPDX-License-Identifier: MIT
#include "models/livebinding.h"

#include "models/messagesmodel.h"
#include "models/sessionsmodel.h"
#include "store/changefeed.h"

namespace voxtrack::models {

void followChanges(store::ChangeFeed& feed, SessionsModel* sessions, MessagesModel* messages, QObject* context)
{
    using store::Change;
    if (sessions) {
        QObject::connect(
            &feed, &store::ChangeFeed::changed, context ? context : sessions, [sessions](const Change& change) {
                if (change.table == Change::Table::Sessions) {
                    if (!change.rangeKnown)
                        change.kind == Change::Kind::Insert ? sessions->catchUp() : sessions->sessionsUpdated(0, 0);
                    else if (change.kind == Change::Kind::Insert)
                        sessions->sessionsInserted(change.firstId, change.lastId);
                    else
                        sessions->sessionsUpdated(change.firstId, change.lastId);
                } else if (change.kind == Change::Kind::Insert) {
                    sessions->sessionsUpdated(0, 0); // the message counts of open sessions grew
                }
            });
        QObject::connect(
            &feed, &store::ChangeFeed::resynced, context ? context : sessions, [sessions] { sessions->catchUp(); });
    }
    if (messages) {
        QObject::connect(
            &feed, &store::ChangeFeed::changed, context ? context : messages, [messages](const Change& change) {
                if (change.table != Change::Table::Messages || change.kind != Change::Kind::Insert)
                    return;
                if (change.rangeKnown)
                    messages->messagesInserted(change.firstId, change.lastId);
                else
                    messages->reload();
            });
        QObject::connect(
            &feed, &store::ChangeFeed::resynced, context ? context : messages, [messages] { messages->reload(); });
    }
}

} // namespace voxtrack::models
