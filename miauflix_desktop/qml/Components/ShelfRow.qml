// A titled horizontal row of poster cards; Left/Right move along it.
import QtQuick
import "../Style"

FocusScope {
    id: row
    required property string shelfKey
    required property string title
    required property bool isDemo
    required property var cards
    // Where this row's focus was last time (Home remembers it per shelf key, so a row
    // rebuilt after scrolling out of view or after a reload comes back at the same card).
    property int savedIndex: 0
    signal activated(int mediaId, string kind)
    signal remember(string shelfKey, int index)

    objectName: "homeShelf_" + shelfKey
    height: header.height + Theme.px(16) + list.height

    Row {
        id: header
        // Line up with the first card (the list has a left margin for the focus scale-up).
        x: Theme.px(24)
        spacing: Theme.px(16)
        Text {
            text: row.title
            color: row.activeFocus ? Theme.text : Theme.textDim
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
            font.bold: true
        }
        DemoBadge {
            visible: row.isDemo
            anchors.verticalCenter: parent.verticalCenter
        }
    }

    ListView {
        id: list
        objectName: "homeShelfList_" + row.shelfKey
        anchors.top: header.bottom
        anchors.topMargin: Theme.px(16)
        width: parent.width
        // Room for the focused card's scale-up and outline without clipping.
        height: Math.ceil(Theme.cardHeight * Theme.focusScale) + 2 * Theme.focusBorder
        orientation: ListView.Horizontal
        spacing: Theme.px(28)
        focus: true
        keyNavigationEnabled: true
        highlightMoveDuration: Theme.animMs
        preferredHighlightBegin: Theme.px(24)
        preferredHighlightEnd: width - Theme.px(24)
        highlightRangeMode: ListView.ApplyRange
        leftMargin: Theme.px(24)
        rightMargin: Theme.px(24)
        model: row.cards
        onCurrentIndexChanged: row.remember(row.shelfKey, currentIndex)
        Component.onCompleted: {
            if (row.savedIndex > 0 && row.savedIndex < count) {
                currentIndex = row.savedIndex
                positionViewAtIndex(currentIndex, ListView.Contain)
            }
        }
        delegate: PosterCard {
            shelfKey: row.shelfKey
            focus: ListView.isCurrentItem
            anchors.verticalCenter: parent ? parent.verticalCenter : undefined
            onActivated: (id, kind) => row.activated(id, kind)
        }
    }
}
