# Seed 003, "[텐서플로2] MNIST 데이터를 훈련 데이터로 사용한 DNN 학습": the code lines of the note, in order.
import scratchnet.tf as tf  # scratchnet: import tensorflow as tf

(x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
x_train, x_test = x_train / 255.0, x_test / 255.0

model = tf.keras.models.Sequential([
    tf.keras.layers.Flatten(input_shape=(28, 28)),
    tf.keras.layers.Dense(128, activation='relu'),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10, activation='softmax')
])

model.compile(optimizer='adam',
              loss='sparse_categorical_crossentropy',
              metrics=['accuracy'])

model.fit(x_train, y_train, epochs=EPOCHS)  # scratchnet: CI shrink; the seed: epochs=5

model.evaluate(x_test,  y_test, verbose=2)
