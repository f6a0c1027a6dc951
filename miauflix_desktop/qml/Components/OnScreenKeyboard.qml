// On-screen keyboard for the remote: a-z, 0-9 in a 6-column grid, then Space, Delete and
// Clear. Arrows move, OK types; Right on the last column / Left on the first leave it
// (rightEdge / leftEdge).
import QtQuick
import "../Style"

FocusScope {
    id: kb
    signal typed(string text)
    signal backspace()
    signal clear()
    signal rightEdge()
    signal leftEdge()

    readonly property int columns: 6
    readonly property var keys: "abcdefghijklmnopqrstuvwxyz0123456789".split("").concat(["space", "backspace", "clear"])
    readonly property int letterCount: 36
    readonly property int keySize: Theme.px(76)
    readonly property int gap: Theme.px(10)
    property int current: 0

    objectName: "keyboard"
    implicitWidth: columns * keySize + (columns - 1) * gap
    implicitHeight: 7 * keySize + 6 * gap

    function cellOf(i) {
        if (i < letterCount) return { col: i % columns, row: Math.floor(i / columns), span: 1 }
        return { col: (i - letterCount) * 2, row: 6, span: 2 }
    }
    function indexAt(row, col) {
        if (row >= 6) return letterCount + Math.floor(col / 2)
        return row * columns + col
    }
    function move(dx, dy) {
        var c = cellOf(current)
        if (dy !== 0) {
            var row = c.row + dy
            if (row < 0 || row > 6) return false
            current = indexAt(row, c.col)
            return true
        }
        var col = c.col + dx * c.span
        if (dx > 0 && c.span > 1) col = c.col + 2
        if (col < 0) { kb.leftEdge(); return true }
        if (col >= columns) { kb.rightEdge(); return true }
        current = indexAt(c.row, col)
        return true
    }
    function press(i) {
        var k = keys[i]
        if (k === "space") kb.typed(" ")
        else if (k === "backspace") kb.backspace()
        else if (k === "clear") kb.clear()
        else kb.typed(k)
    }

    Keys.onPressed: (event) => {
        switch (event.key) {
        case Qt.Key_Left: event.accepted = move(-1, 0); break
        case Qt.Key_Right: event.accepted = move(1, 0); break
        case Qt.Key_Up: event.accepted = move(0, -1); break
        case Qt.Key_Down: event.accepted = move(0, 1); break
        }
    }

    Repeater {
        model: kb.keys.length
        Rectangle {
            id: key
            required property int index
            readonly property var cell: kb.cellOf(index)
            readonly property string name: kb.keys[index]
            readonly property bool showsFocus: activeFocus
            objectName: "key_" + name
            x: cell.col * (kb.keySize + kb.gap)
            y: cell.row * (kb.keySize + kb.gap)
            width: cell.span * kb.keySize + (cell.span - 1) * kb.gap
            height: kb.keySize
            radius: Theme.radius
            focus: index === kb.current
            color: activeFocus ? Theme.focusFill : Theme.surfaceRaised
            border.color: activeFocus ? Theme.focusRing : "transparent"
            border.width: Theme.focusBorder
            scale: activeFocus ? 1.1 : 1.0
            z: activeFocus ? 2 : 1
            Behavior on scale { NumberAnimation { duration: Theme.animMs } }
            Keys.onReturnPressed: kb.press(index)
            Keys.onEnterPressed: kb.press(index)
            Text {
                anchors.centerIn: parent
                text: key.name === "space" ? "Space" : key.name === "backspace" ? "⌫ Del"
                      : key.name === "clear" ? "Clear" : key.name.toUpperCase()
                color: Theme.text
                font.family: Theme.fontFamily
                font.pixelSize: key.cell.span > 1 ? Theme.smallSize : Theme.bodySize
                font.bold: true
            }
            MouseArea {
                anchors.fill: parent
                onClicked: { kb.current = key.index; kb.forceActiveFocus(); kb.press(key.index) }
            }
        }
    }
}
