// A ten-foot button: large, with an unmistakable focus state; OK activates it.
import QtQuick
import "../Style"

Rectangle {
    id: button
    property alias text: label.text
    readonly property bool showsFocus: activeFocus
    signal activated()

    implicitWidth: label.implicitWidth + Theme.px(96)
    implicitHeight: label.implicitHeight + Theme.px(36)
    radius: height / 2
    color: activeFocus ? Theme.focusFill : Theme.surfaceRaised
    border.color: activeFocus ? Theme.focusRing : "transparent"
    border.width: Theme.focusBorder
    scale: activeFocus ? 1.06 : 1.0
    Behavior on scale { NumberAnimation { duration: Theme.animMs } }

    Keys.onReturnPressed: button.activated()
    Keys.onEnterPressed: button.activated()

    Text {
        id: label
        anchors.centerIn: parent
        color: Theme.text
        font.family: Theme.fontFamily
        font.pixelSize: Theme.headingSize
        font.bold: true
    }
    MouseArea {
        anchors.fill: parent
        onClicked: { button.forceActiveFocus(); button.activated() }
    }
}
