// The visible "DEMO" label for generated demo media, so nobody mistakes it for a film.
import QtQuick
import "../Style"

Rectangle {
    objectName: "demoBadge"
    color: Theme.demo
    radius: Theme.px(6)
    implicitWidth: label.implicitWidth + Theme.px(20)
    implicitHeight: label.implicitHeight + Theme.px(6)
    Text {
        id: label
        anchors.centerIn: parent
        text: "DEMO"
        color: "#111111"
        font.family: Theme.fontFamily
        font.pixelSize: Theme.smallSize
        font.bold: true
        font.letterSpacing: Theme.px(2)
    }
}
