// Search: the query line, an on-screen keyboard (arrows + OK) and the results grid.
// A physical keyboard types too; Backspace deletes here, so Back is Escape on this screen.
import QtQuick
import "../Style"
import "../Components"

FocusScope {
    id: search
    objectName: "searchView"
    property QtObject vm
    signal openItem(string kind, int mediaId)

    // Keys the focused key/card did not take: physical typing and Backspace.
    Keys.onPressed: (event) => {
        if (!search.vm) return
        if (event.key === Qt.Key_Backspace) {
            search.vm.backspace(); event.accepted = true; return
        }
        var t = event.text
        if (t.length === 1 && t >= " " && t !== "\u007f"
                && !(event.modifiers & (Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier))) {
            search.vm.typeText(t); event.accepted = true
        }
    }

    Text {
        id: heading
        x: parent.width * 0.05
        y: parent.height * 0.05
        text: "Search"
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.titleSize
        font.bold: true
    }

    // The query line (not focusable: the keyboard or a real one types into it).
    Rectangle {
        id: queryBox
        anchors.left: heading.right
        anchors.leftMargin: Theme.px(40)
        anchors.verticalCenter: heading.verticalCenter
        width: parent.width * 0.95 - x
        height: Theme.px(84)
        radius: Theme.radius
        color: Theme.surface
        Text {
            id: queryText
            objectName: "searchQuery"
            anchors.verticalCenter: parent.verticalCenter
            x: Theme.px(24)
            width: parent.width - Theme.px(48)
            text: search.vm && search.vm.query !== "" ? search.vm.query + "▏" : "Type a title…"
            color: search.vm && search.vm.query !== "" ? Theme.text : Theme.textDim
            elide: Text.ElideLeft
            font.family: Theme.fontFamily
            font.pixelSize: Theme.headingSize
        }
    }

    OnScreenKeyboard {
        id: keyboard
        x: parent.width * 0.05
        anchors.top: heading.bottom
        anchors.topMargin: Theme.px(48)
        focus: true
        onTyped: (t) => search.vm.typeText(t)
        onBackspace: search.vm.backspace()
        onClear: search.vm.clear()
        onRightEdge: if (results.count > 0) results.forceActiveFocus()
    }

    MediaGrid {
        id: results
        objectName: "searchResults"
        cardPrefix: "search"
        anchors.left: keyboard.right
        anchors.leftMargin: Theme.px(40)
        anchors.right: parent.right
        anchors.rightMargin: parent.width * 0.05 - Theme.px(12)
        anchors.top: keyboard.top
        anchors.topMargin: -Theme.px(24)
        anchors.bottom: parent.bottom
        anchors.bottomMargin: parent.height * 0.05
        model: search.vm ? search.vm.results : null
        onLeftEdge: keyboard.forceActiveFocus()
        onActivated: (id, kind) => search.openItem(kind, id)
        // Results replaced while the grid has focus: keep a focused card.
        onCountChanged: if (count === 0 && activeFocus) keyboard.forceActiveFocus()
    }

    Text {
        objectName: "searchMessage"
        anchors.centerIn: results
        width: results.width * 0.8
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        visible: results.count === 0
        text: search.vm ? (search.vm.message !== "" ? search.vm.message
              : (search.vm.query === "" ? "Results appear as you type." : "")) : ""
        color: Theme.textDim
        font.family: Theme.fontFamily
        font.pixelSize: Theme.bodySize
    }
}
