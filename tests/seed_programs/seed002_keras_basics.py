# Seed 002, "데이터셋 준비하기" and "Input Layer의 입력 형태 지정": a tf.data pipeline and a Keras MLP.
# data_test and labels_test (used, never defined by the note) are set by the test.
import scratchnet.tf as tf  # scratchnet: import tensorflow as tf
import numpy as np  # scratchnet: the note's notebook had imported numpy already
 
data = np.random.sample((100,2))
labels = np.random.sample((100,1))
 
# numpy array로부터 데이터셋 생성
dataset = tf.data.Dataset.from_tensor_slices((data, labels))
dataset = dataset.batch(32)

import scratchnet.tf as tf  # scratchnet: import tensorflow as tf (the note imports it again here)
 
model = tf.keras.models.Sequential([
    tf.keras.layers.Dense(10, input_dim=2, activation = 'sigmoid'),
    tf.keras.layers.Dense(10, activation='sigmoid'),
    tf.keras.layers.Dense(1, activation='sigmoid'),
])
 
model.compile(loss='mean_squared_error', optimizer='SGD')
model.fit(dataset, epochs=EPOCHS)  # scratchnet: CI shrink; the seed: epochs=100
 
# 테스트 데이터 준비하기
dataset_test = tf.data.Dataset.from_tensor_slices((data_test, labels_test))
dataset_test = dataset.batch(32)
 
# 모델 평가 및 예측하기
model.evaluate(dataset_test)
predicted_labels_test = model.predict(data_test)
