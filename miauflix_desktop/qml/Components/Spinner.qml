// Loading indicator that also works on the software scene graph (no shaders).
import QtQuick
import "../Style"

Item {
    id: spinner
    property bool running: visible
    implicitWidth: Theme.px(96)
    implicitHeight: Theme.px(96)
    Repeater {
        model: 8
        Rectangle {
            required property int index
            width: spinner.width * 0.14
            height: width
            radius: width / 2
            color: Theme.text
            opacity: 0.25 + 0.75 * (index / 7)
            x: spinner.width / 2 - width / 2 + Math.cos(index * Math.PI / 4) * spinner.width * 0.4
            y: spinner.height / 2 - height / 2 + Math.sin(index * Math.PI / 4) * spinner.height * 0.4
        }
    }
    RotationAnimation on rotation {
        from: 0; to: 360; duration: 1200
        loops: Animation.Infinite
        running: spinner.running
    }
}
